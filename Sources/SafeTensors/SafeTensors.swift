// SafeTensors: reads and writes Hugging Face safetensors files (see SafeTensorsFile).
