#include "app/documents/import_progress.h"

#include "app/documents/document_error.h"

namespace flint::documents {

void ImportProgress::throwIfCancelled() const {
  if (cancelled()) throw DocumentError(DocumentErrorKind::Cancelled, "The work was cancelled.");
}

}  // namespace flint::documents
