"""The research toolkit on top of micrograd: the ``micrograd`` command line and, in time,
graph export, analysis, file formats and drawing."""
