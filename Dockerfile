FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY protocol ./protocol
COPY server ./server
COPY symbolication ./symbolication
COPY dedupe ./dedupe
COPY kb_link ./kb_link
COPY web ./web
RUN pip install --no-cache-dir . && useradd --create-home crashdesk
USER crashdesk
EXPOSE 8000
CMD ["crashdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
