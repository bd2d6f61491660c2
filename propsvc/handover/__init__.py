"""Handover day (交房) [H1]-[H4]: a batch of units handed over to their buyers on set days, at
stations (协议签订处, 收费处, 钥匙发放处, 物品发放处, 验房处).

Who may do what (the routes in views.py say it per route): supervisor and manager open a batch
and import the sales office's buyers' list; front desk, stewards, supervisor and manager run the
arrival desk, the owner file and the stations; finance marks the fees station."""
