"""HTTP endpoints for photo upload, metadata and files."""

from flask import Response, g, jsonify, request, send_file
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..extensions import db
from ..jobs import run_ready_jobs
from . import service, storage
from .schemas import (
    FileArgsSchema,
    PhotoSchema,
    UploadArgsSchema,
    UploadChunkArgsSchema,
    UploadStartSchema,
    UploadStatusSchema,
)

blp = Blueprint("photos", __name__, url_prefix="/api/v1", description="Photos")

_IMAGE_BODY = {
    "required": True,
    "content": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/webp": {"schema": {"type": "string", "format": "binary"}},
    },
}

_CHUNK_BODY = {
    "required": True,
    "description": "The next bytes of the file, starting at `offset`.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


@blp.route("/photos/<uuid:photo_id>")
class PhotoById(MethodView):
    @blp.arguments(UploadArgsSchema, location="query")
    @blp.doc(requestBody=_IMAGE_BODY)
    @blp.response(200, PhotoSchema, description="Already uploaded with the same bytes")
    @blp.alt_response(201, schema=PhotoSchema, description="Stored")
    def put(self, args, photo_id):
        """Upload a photo's bytes under a client-chosen UUID (idempotent; 409 if the id is taken
        by other bytes). The image is checked from its headers (format, size in pixels: 413
        beyond the limit); copies for display are made by a background job, and a photo whose
        image data turns out damaged there is `failed` with the reason. 403 for a role that
        makes no records with photos, or when the id belongs to another user's record; 507 when
        the server's disk is full (nothing kept: send it again later)."""
        service.check_may_upload(g.user, photo_id)  # before the body is read
        photo, created = service.upload(g.user, photo_id, request.get_data(cache=False), args["sha256"])
        db.session.commit()
        if created:
            run_ready_jobs()  # without Redis the copies are made before the answer
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
        stored = service.file_for(g.user, photo_id, args["variant"])
        path = storage.local_path(stored.store, stored.key)
        if path is not None:
            response = send_file(path, mimetype="image/jpeg", max_age=86400, conditional=True)
        else:
            response = _streamed(stored)
        response.cache_control.private = True
        return response


def _streamed(stored: service.StoredFile) -> Response:
    """A copy in an object store, streamed through the app: the same authorization, caching
    headers and URL as a local file (a presigned URL would hand the phone a link that works for
    anyone who has it, for as long as it lives, and would not be cached under the photo's URL).
    The ETag is the content's address, so a 304 costs no request to the store."""
    if request.if_none_match.contains(stored.etag):
        response = Response(status=304)
    else:
        chunks = stored.store.stream(stored.key)
        response = Response(chunks, mimetype="image/jpeg", direct_passthrough=True)
        response.content_length = chunks.size
    response.set_etag(stored.etag)
    response.cache_control.max_age = 86400
    return response


@blp.route("/photos/<uuid:photo_id>/upload")
class PhotoUploadSession(MethodView):
    """Resumable upload, for bad networks: start it, send chunks, and after an interruption ask
    the offset and send the rest. The last chunk completes it like the one-shot PUT."""

    @blp.arguments(UploadStartSchema)
    @blp.response(200, UploadStatusSchema, description="Already started (resume from `offset`) or complete")
    @blp.alt_response(201, schema=UploadStatusSchema, description="Started")
    def post(self, args, photo_id):
        """Start a resumable upload of a photo under a client-chosen UUID (idempotent: the same
        id, sha256 and size again return the upload as it stands; 409 if the id is taken). 429
        when the user's unfinished uploads would declare more than PHOTO_UPLOAD_QUOTA_BYTES in
        all (the answer lists them: finish or abandon them)."""
        status, created = service.start_upload(g.user, photo_id, args["sha256"], args["size"])
        db.session.commit()
        return status, 201 if created else 200

    @blp.response(200, UploadStatusSchema)
    def get(self, photo_id):
        """How many bytes of an upload the server has (`offset`), to resume from there."""
        return service.upload_status(g.user, photo_id)

    @blp.arguments(UploadChunkArgsSchema, location="query")
    @blp.doc(requestBody=_CHUNK_BODY)
    @blp.response(200, PhotoSchema, description="The upload was already complete; nothing changed")
    @blp.alt_response(201, schema=PhotoSchema, description="This chunk completed the upload: the photo is stored")
    @blp.alt_response(202, schema=UploadStatusSchema, description="Chunk stored; send the rest from `offset`")
    def patch(self, args, photo_id):
        """Send the next chunk of an upload. On the last byte the sha256 is checked (422 and the
        upload is discarded on a mismatch) and the photo stored; copies are made in the background."""
        service.check_may_upload(g.user, photo_id)  # before the body is read
        result = service.append_chunk(g.user, photo_id, args["offset"], request.get_data(cache=False))
        db.session.commit()
        if result.photo is None:  # another schema than the 200/201 answers': dump it here
            return jsonify(UploadStatusSchema().dump(result.status)), 202
        if result.created:
            run_ready_jobs()
            db.session.refresh(result.photo)
        return result.photo, 201 if result.created else 200

    @blp.response(204, description="Abandoned: the bytes received are deleted")
    def delete(self, photo_id):
        """Abandon an unfinished upload of one's own (its bytes stop counting towards the quota);
        404 when there is none."""
        service.abandon_upload(g.user, photo_id)
        db.session.commit()
        return None
