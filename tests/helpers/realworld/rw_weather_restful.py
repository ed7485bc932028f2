"""A Flask-RESTful resource on a sub-route that serves one intent and verifies
nothing: ``POST /getWeather`` reads the city and answers a forecast."""

from __future__ import annotations

from flask import Flask, request
from flask_restful import Api, Resource

app = Flask(__name__)
api = Api(app)


class Weather(Resource):
    def get(self):
        return {"status": "up"}

    def post(self):
        data = request.get_json()
        city = data["variablesMap"]["city"]["value"]
        return {"text": f"It will be sunny in {city} today."}


api.add_resource(Weather, "/getWeather")


@app.route("/health")
def health():
    return "ok"
