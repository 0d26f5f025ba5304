{
  "targets": [
    { "target_name": "quickack", "sources": ["quickack.c"] }
  ]
}
