"""Verifier and whistleblower agent: recomputes published work and challenges wrong results."""
