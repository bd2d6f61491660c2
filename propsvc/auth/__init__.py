"""Staff accounts, departments, sign-in and the shared front-desk kiosk."""
