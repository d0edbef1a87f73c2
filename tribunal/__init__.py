"""Tribunal protocol package: chain bindings, RepOps, commitments and dispute moves shared by every role."""
