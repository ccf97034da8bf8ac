"""Reports: XLSX workbook, CSV, print page, city-wide view, SVG charts."""
