"""French error pages of the GED's views: the kernel's (``kernel.web.errors``), named here too."""

from kernel.web.errors import error_page as error_page
from kernel.web.errors import is_page as is_page
