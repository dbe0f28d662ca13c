"""Live fan-out: channel names, message structs, Redis publish/subscribe and WebSocket handlers."""
