"""HTTP endpoints for photo upload, metadata and files."""

from flask import g, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from . import service
from .schemas import FileArgsSchema, PhotoSchema, UploadArgsSchema

blp = Blueprint("photos", __name__, url_prefix="/api/v1", description="Photos")

_IMAGE_BODY = {
    "required": True,
    "content": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/webp": {"schema": {"type": "string", "format": "binary"}},
    },
}


@blp.route("/photos/<uuid:photo_id>")
class PhotoById(MethodView):
    @blp.arguments(UploadArgsSchema, location="query")
    @blp.doc(requestBody=_IMAGE_BODY)
    @blp.response(200, PhotoSchema, description="Already uploaded with the same bytes")
    @blp.alt_response(201, schema=PhotoSchema, description="Stored")
    def put(self, args, photo_id):
        """Upload a photo's bytes under a client-chosen UUID (idempotent; 409 if the id is taken
        by other bytes). Copies for display are made by a background job."""
        photo, created = service.upload(g.user, photo_id, request.get_data(cache=False), args["sha256"])
        db.session.commit()
        if created:
            service.schedule_processing(photo)
            db.session.refresh(photo)
        return photo, 201 if created else 200

    @blp.response(200, PhotoSchema)
    def get(self, photo_id):
        """A photo's metadata and processing status."""
        return service.visible_photo(g.user, photo_id)


@blp.route("/photos/<uuid:photo_id>/file")
class PhotoFile(MethodView):
    @blp.arguments(FileArgsSchema, location="query")
    @blp.response(200, content_type="image/jpeg", description="The JPEG")
    def get(self, args, photo_id):
        """The photo as a metadata-free JPEG: `full`, `display` (≤1600 px) or `thumb` (≤320 px)."""
        path = service.file_for(g.user, photo_id, args["variant"])
        response = send_file(path, mimetype="image/jpeg", max_age=86400, conditional=True)
        response.cache_control.private = True
        return response
