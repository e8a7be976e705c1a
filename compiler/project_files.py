"""Where the project's own data lives: schemas, chart templates, policies."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
CHARTS = ROOT / "charts"
POLICIES = ROOT / "policies"
