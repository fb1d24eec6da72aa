from django.urls import path

from parcels.publishing import planner

app_name = "planner"
urlpatterns = [
    path("", planner.home, name="home"),
    path("exports/", planner.job_list, name="jobs"),
    path("exports/new", planner.new_job, name="new-job"),
    path("exports/<int:pk>/", planner.job_detail, name="job"),
    path("exports/<int:pk>.json", planner.job_json, name="job-json"),
    path("exports/<int:pk>/download", planner.download, name="download"),
]
