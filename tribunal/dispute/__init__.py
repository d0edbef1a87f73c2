"""The dispute engine: from a party's own recomputation, every move and proof of the game.

`claims` holds what one party claims (its trace, node outputs, intermediates), `moves` turns
the on-chain game state into the party's next move, `player` sends it.
"""
