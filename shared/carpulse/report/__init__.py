"""Vehicle reports from a VehicleSnapshot: PDF (pdf.render_vehicle_pdf), JSON view
(json_view.render_vehicle_json) and the sessions CSV (csv_export.sessions_csv).

fields.py and columns.py are the field schema; build.py turns a snapshot into a ReportView that the
PDF and the JSON both render; i18n/ holds the en/de/fi message catalogs.
"""
