"""The web machinery both services' pages share: sessions and CSRF (``security``), the login
pages (``auth``), rendering (``render``, ``setup``), French error pages (``errors``), the base
layout, the login and error templates and the form macros (``templates/``), the stylesheet and
the vendored htmx (``static/``). Each service adds its own routers, templates and vocabulary.
"""
