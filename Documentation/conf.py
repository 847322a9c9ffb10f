# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration for the vfio-mig documentation.
#
# API pages are extracted from the sources with the kernel's own
# kernel-doc tooling, used in place from Debian's linux-source-6.12 in the
# build cache (scripts/kernel-src.sh unpacks it; the path comes in through
# VFIO_MIG_KSRC).

import os
import sys

ksrc = os.environ.get('VFIO_MIG_KSRC')
if not ksrc:
    raise RuntimeError('VFIO_MIG_KSRC is not set: build with scripts/build-docs.sh')

sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'vfio-mig'
copyright = 'The vfio-mig authors'
extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
master_doc = 'index'
exclude_patterns = ['_build']
highlight_language = 'none'
primary_domain = 'c'
html_theme = 'alabaster'
html_static_path = []
html_show_sourcelink = False

# Annotations the C domain must read as attributes, not as types.
c_id_attributes = ['__user', '__iomem', '__must_check', '__init', '__exit',
                   '__always_inline', '__printf']
