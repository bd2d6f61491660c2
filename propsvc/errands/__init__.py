"""Front-desk errands [F1]: parcels held at the desk, mail forwarding, access-card requests; each with a state and a record of telling the resident."""
