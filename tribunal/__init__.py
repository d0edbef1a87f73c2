"""Tribunal protocol package.

Chain bindings, RepOps, commitments and dispute moves shared by every role.
"""
