"""Outbound webhooks (Standard Webhooks): endpoints, signed deliveries, retries and their log."""
