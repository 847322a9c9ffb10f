# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration for the vfio-mig documentation.

project = 'vfio-mig'
copyright = 'The vfio-mig authors'
extensions = []
master_doc = 'index'
exclude_patterns = ['_build']
highlight_language = 'none'
html_theme = 'alabaster'
html_static_path = []
html_show_sourcelink = False
