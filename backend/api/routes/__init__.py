"""One router per resource; each handler validates input, calls a service, shapes the output."""
