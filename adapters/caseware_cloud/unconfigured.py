"""Stands in for CaseWare Cloud when no API client is configured (development only)."""

from .errors import CwcUnavailable


class UnconfiguredCaseWareCloud:
    """Every call fails as passing trouble, naming the settings that are missing."""

    def __getattr__(self, operation: str):
        def refuse(*_args, **_kwargs):
            raise CwcUnavailable(
                f"CaseWare Cloud is not configured (CWC_CLIENT_ID, CWC_CLIENT_SECRET); "
                f"cannot {operation}"
            )

        return refuse
