"""Sites and people: communities, buildings, units, owners, tenants, household members."""
