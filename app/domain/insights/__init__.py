"""Insights: detectors over an application's data, the scheduler that runs them, and the triage inbox."""
