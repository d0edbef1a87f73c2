"""Errors the services raise; the API maps each to an HTTP status with the message as `detail`."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400


class BadRequest(ServiceError):
    status_code = 400


class Unauthorized(ServiceError):
    status_code = 401


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class PayloadTooLarge(ServiceError):
    status_code = 413


class RangeNotSatisfiable(ServiceError):
    status_code = 416


class Unavailable(ServiceError):
    status_code = 503
