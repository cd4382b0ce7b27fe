// Plain C API over libsentencepiece (filled by the tokenizer work).
#pragma once
