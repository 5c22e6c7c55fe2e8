"""The checkout logic both forms of the example share: plain Python, no Crossfade code.

It prices a cart with the settings it is given. `checkout.price_format` is the setting the
example migrates: its old value `{"decimals": 2}` works; the new value `{"precision": 2}` renames
the field, which this code does not know, so every request that gets the new value fails with a
500 -- the kind of regression the guard exists to stop.
"""

CART = [("coffee beans", 1250), ("filter papers", 399)]  # prices in cents


def checkout_page(user: str, settings: dict) -> dict:
    price_format = settings.get("checkout.price_format", {"decimals": 2})  # a default if the sidecar is away
    decimals = price_format["decimals"]  # KeyError on the new value
    total = sum(price for _, price in CART) / 100
    banner = settings.get("checkout.banner", {}).get("text", "")
    return {"user": user, "total": f"{total:.{decimals}f}", "banner": banner}
