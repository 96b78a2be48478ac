"""The case page and its parts: timeline, team, plan and tasks, referrals, conferences."""

urlpatterns = []
