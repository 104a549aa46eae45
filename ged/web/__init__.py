"""The web interface, in French: server-rendered pages in the same application as the API.

Pages call the same services as the API with the same ``Principal``; see ``README.md`` in this
folder for how a screen is added, tested and driven by the browser suite.
"""
