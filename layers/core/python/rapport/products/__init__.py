"""Products: what a tenant sells, by SKU, the lines of its orders."""
