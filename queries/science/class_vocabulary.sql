-- The controlled classification vocabulary
SELECT class, vocabulary, description FROM classification_classes ORDER BY vocabulary DESC, class
