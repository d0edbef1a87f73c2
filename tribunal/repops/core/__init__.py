"""The protocol model of RepOps: float32 primitives, instructions, op specs, loop
programs and the abstract op definition, with torch reference execution. Imports no
backend and nothing from Tribunal outside `tribunal.repops.core`."""
