"""A second gateway on a test app's database, set as production is where the test needs it."""

from config import TestConfig


def second_gateway_config(app, **settings) -> type[TestConfig]:
    """Settings for a gateway on `app`'s database and simulator that keeps a checked token for
    a minute, as production does (TestConfig notes last_used_at at every request)."""

    class Config(TestConfig):
        DATABASE_URL = app.config["DATABASE_URL"]
        TOKEN_TOUCH_SECONDS = 60
        CWC_BASE_URL = app.config["CWC_BASE_URL"]
        CWC_CLIENT_ID = app.config["CWC_CLIENT_ID"]
        CWC_CLIENT_SECRET = app.config["CWC_CLIENT_SECRET"]
        locals().update(settings)

    return Config
