"""Developer tools that measure the package; not part of the public API.

``python -m forecast._devtools.layout`` reports import cycles, private imports across modules,
long modules and the package's line count (issue 13's "Done when").
"""
