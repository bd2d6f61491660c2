"""Front-desk errands [F1]: parcels held at the desk (快递代收), mail forwarding (信件转递) and
access-card requests (门禁卡); each with a state and a record of telling the resident.

Who may do what (enforced by the routes in views.py, whose docstring has the detail):
front desk, supervisor and manager run everything; a steward sees the items and records that
the resident was told; finance sees card requests only and records card fees against a receipt
(phones masked); supervisor and manager set the card fees and the overdue mark."""
