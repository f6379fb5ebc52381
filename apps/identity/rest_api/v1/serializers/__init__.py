"""Response serializers of identity's REST API, one module per topic (a view's input serializer is nested in the
view). Nothing is re-exported: import the topic module."""
