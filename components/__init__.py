"""One ComponentResource per concern of the owner and tenant stacks."""
