"""The page registry: which page file, for which roles. A page shows once its file exists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.contracts import ROLES

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PAGES_DIR = PROJECT_ROOT / "pages"

ALL = ROLES
SCIENCE = ("data_scientist", "admin")


@dataclass(frozen=True)
class PageSpec:
    slug: str
    title: str
    icon: str
    roles: tuple[str, ...]
    section: str

    @property
    def path(self) -> Path:
        return PAGES_DIR / f"{self.slug}.py"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "Overview", ":material/dashboard:", ALL, "Portfolio"),
    PageSpec("impact", "Impact", ":material/trending_up:", ("executive", "admin"), "Portfolio"),
    PageSpec("decisions", "Decisions", ":material/gavel:", ("credit_officer", "admin"), "Decisions"),
    PageSpec("performance", "Performance", ":material/monitoring:", SCIENCE, "Models"),
    PageSpec("drift", "Drift", ":material/ssid_chart:", SCIENCE, "Models"),
    PageSpec("challengers", "Challengers", ":material/compare_arrows:", SCIENCE, "Models"),
    PageSpec("thresholds", "Thresholds", ":material/tune:", ("data_scientist", "executive", "admin"), "Models"),
    PageSpec("models", "Model cards", ":material/description:", ("data_scientist", "executive", "admin"),
             "Models"),
    PageSpec("audit", "Audit", ":material/policy:", ("admin",), "Governance"),
)


def pages_for(role: str) -> list[PageSpec]:
    """Pages this role may open, in menu order; pages whose feature is not built are left out."""
    return [p for p in PAGES if role in p.roles and p.path.exists()]


def can_open(role: str, slug: str) -> bool:
    return any(p.slug == slug for p in pages_for(role))


def built_pages() -> list[PageSpec]:
    """Every page whose file exists, whoever may open it."""
    return [p for p in PAGES if p.path.exists()]


def forbidden_for(role: str | None) -> list[PageSpec]:
    """Built pages this role may not open: registered hidden, so their URL shows a refusal."""
    return [p for p in built_pages() if role not in p.roles]


def page_spec(slug: str) -> PageSpec | None:
    return next((p for p in PAGES if p.slug == slug), None)
