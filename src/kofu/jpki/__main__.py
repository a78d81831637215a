"""`python -m kofu.jpki ...`: the `kofu jpki` commands on their own (e.g. a responder process that
needs nothing else of kofu's command line)."""

from kofu.jpki.cli import app
from kofu.logs import configure_logging
from kofu.settings import SettingsError, load_settings, refuse

try:
    settings = load_settings()
except SettingsError as exc:
    refuse(exc)
configure_logging(settings.log_level, settings.log_json)
app(obj=settings, prog_name="kofu jpki")
