"""The backend's logic, below the HTTP layer: queries, checks and writes over the models."""
