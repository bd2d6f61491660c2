"""The front desk's daily errands [F1]: visitors, parcels, mail forwarding, access cards."""
