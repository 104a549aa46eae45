"""The GED's page dependencies: ``User`` (the logged-in ``Principal``, or the login page) and
``Ctx`` (the services' context); sessions and CSRF themselves are the kernel's
(``kernel.web.security``), named here too for the GED's views."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ged.domain.access import Principal
from ged.services.context import Context
from ged.web.setup import context_of
from kernel.web.security import CSRF_FIELD as CSRF_FIELD
from kernel.web.security import CSRF_HEADER as CSRF_HEADER
from kernel.web.security import SESSION_COOKIE as SESSION_COOKIE
from kernel.web.security import CsrfRefused as CsrfRefused
from kernel.web.security import LoginRequired as LoginRequired
from kernel.web.security import check_csrf as check_csrf
from kernel.web.security import client_address as client_address
from kernel.web.security import csrf_in_stream as csrf_in_stream
from kernel.web.security import csrf_protect as csrf_protect
from kernel.web.security import csrf_token as csrf_token
from kernel.web.security import current_user as current_user

User = Annotated[Principal, Depends(current_user)]
Ctx = Annotated[Context, Depends(context_of)]
