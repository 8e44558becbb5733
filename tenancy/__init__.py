"""Pure logic of lattice-tenancy: config models, names, policy documents, the owner contract, offline running."""
