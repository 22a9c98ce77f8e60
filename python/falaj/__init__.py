"""Falaj Python SDK: standard library only, so it runs anywhere without installs.

    import falaj
    client = falaj.Client()                      # FALAJ_SERVER / FALAJ_TOKEN, else ~/.config/falaj/credentials.json
    rows = client.online_features("delay_model", {"origin": ["LAX"], "destination": ["JFK"]})
    train = client.download_dataset(dataset_id)  # a list of dicts (CSV converted by the server)
"""
from .client import Client, FalajError

__all__ = ["Client", "FalajError"]
__version__ = "0.1.0"
