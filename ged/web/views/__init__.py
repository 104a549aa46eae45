"""One router per area of the web interface (dashboard, plan, dossiers, documents, search…)."""
