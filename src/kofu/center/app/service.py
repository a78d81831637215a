"""The center's service: every use case of the kiosk → center API, over the center's database.

`CenterService` joins the step classes (sessions and menus, orders and the document, the usage
registration); nothing is kept in process memory between requests.
"""

from __future__ import annotations

from kofu.center.app.steps_orders import Document, OrderSteps
from kofu.center.app.steps_registration import RegistrationSteps
from kofu.center.app.steps_sessions import closed_menu


class CenterService(OrderSteps, RegistrationSteps):
    """The center's use cases over its database, its authenticator and the municipal servers."""


__all__ = ["CenterService", "Document", "closed_menu"]
