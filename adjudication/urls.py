from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reads/<int:pk>/", views.read_page, name="read-page"),
    path("adjudications/<int:pk>/", views.adjudication_page, name="adjudication-page"),
    path("studies/<int:pk>/", views.study_page, name="study-page"),
]
