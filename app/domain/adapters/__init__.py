"""Client code generated from an application's discovered API endpoints (Python, TypeScript)."""
