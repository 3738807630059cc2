"""Operations dashboard for machine-learning models that make credit decisions."""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dashboard.services.monitor import Monitor

__all__ = ["Monitor", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy: `dashboard --help` must not pay for pandas and the store.
    if name == "Monitor":
        from dashboard.services.monitor import Monitor

        return Monitor
    raise AttributeError(f"module 'dashboard' has no attribute {name!r}")
